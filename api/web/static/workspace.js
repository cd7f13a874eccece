// The only script: a Print button on the report. Without it the page works the same; the
// button stays hidden and the browser's own print command prints the report.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () {
    window.print();
  });
});
