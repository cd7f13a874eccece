#!/bin/sh
# web: apply migrations, then serve with gunicorn. worker: the background worker.
set -e
case "$1" in
  web)
    alembic upgrade head
    exec gunicorn -c gunicorn.conf.py wsgi:app
    ;;
  worker)
    exec flask --app wsgi worker
    ;;
  *)
    exec "$@"
    ;;
esac
