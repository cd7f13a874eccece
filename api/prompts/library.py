"""The prompt library shipped with Steady, loaded into the database by a migration.

Keys are stable forever: a migration inserts by key, rotation orders by `position`, and rounds
refer to the rows. Never change a key or reuse one; to retire a prompt, stop shipping it in a
new migration instead of editing this list.
"""

from __future__ import annotations

from typing import NamedTuple


class LibraryPrompt(NamedTuple):
    key: str  # e.g. "gratitude-001"
    kind: str  # "gratitude" | "check_in"
    text: str  # 1–500 characters


LIBRARY: tuple[LibraryPrompt, ...] = (
    LibraryPrompt(
        "gratitude-001",
        "gratitude",
        "What is one small thing your partner did this week that made your day easier?",
    ),
    LibraryPrompt(
        "gratitude-002",
        "gratitude",
        "What is something your partner said lately that has stayed with you?",
    ),
    LibraryPrompt(
        "gratitude-003",
        "gratitude",
        (
            "Think of a hard moment from this week. What did your partner do that helped, even a "
            "little?"
        ),
    ),
    LibraryPrompt(
        "gratitude-004",
        "gratitude",
        "Which of your partner's everyday habits did you rely on this week?",
    ),
    LibraryPrompt(
        "gratitude-005",
        "gratitude",
        "What is one quality you saw in your partner this week that you admire?",
    ),
    LibraryPrompt(
        "gratitude-006",
        "gratitude",
        "When did your partner keep their word to you recently, even in a small way?",
    ),
    LibraryPrompt(
        "gratitude-007",
        "gratitude",
        "When did your partner reassure you lately? What did they say or do?",
    ),
    LibraryPrompt(
        "gratitude-008",
        "gratitude",
        "What did you see your partner do for someone else this week that you appreciated?",
    ),
    LibraryPrompt(
        "gratitude-009",
        "gratitude",
        "When did your partner make you laugh recently? What was it?",
    ),
    LibraryPrompt(
        "gratitude-010",
        "gratitude",
        "What is something your partner remembered about you lately that meant something to you?",
    ),
    LibraryPrompt(
        "gratitude-011",
        "gratitude",
        "What is an effort your partner made this week that might have gone unnoticed?",
    ),
    LibraryPrompt(
        "gratitude-012",
        "gratitude",
        "What is one message from your partner this week that you were glad to get?",
    ),
    LibraryPrompt(
        "gratitude-013",
        "gratitude",
        "When did your partner check in with you recently, and how did that feel?",
    ),
    LibraryPrompt(
        "gratitude-014",
        "gratitude",
        "What did your partner do today that you would like to thank them for?",
    ),
    LibraryPrompt(
        "gratitude-015",
        "gratitude",
        "What is a small kindness from your partner this week that you almost missed?",
    ),
    LibraryPrompt(
        "gratitude-016",
        "gratitude",
        "When did your partner really listen to you lately? What did they do that helped?",
    ),
    LibraryPrompt(
        "gratitude-017",
        "gratitude",
        "What is one way your partner showed patience this week?",
    ),
    LibraryPrompt(
        "gratitude-018",
        "gratitude",
        "What did your partner do recently that made you feel like a team?",
    ),
    LibraryPrompt(
        "gratitude-019",
        "gratitude",
        "What is something your partner did this week that showed they were thinking of you?",
    ),
    LibraryPrompt(
        "gratitude-020",
        "gratitude",
        "When did your partner follow through on a plan this week? What did that mean to you?",
    ),
    LibraryPrompt(
        "gratitude-021",
        "gratitude",
        "What is one thing your partner did lately that helped you relax?",
    ),
    LibraryPrompt(
        "gratitude-022",
        "gratitude",
        "What is a question your partner asked you recently that showed they care?",
    ),
    LibraryPrompt(
        "gratitude-023",
        "gratitude",
        "What is something your partner took care of this week so you did not have to?",
    ),
    LibraryPrompt(
        "gratitude-024",
        "gratitude",
        "When did your partner show up for you this week, in person or from afar?",
    ),
    LibraryPrompt(
        "gratitude-025",
        "gratitude",
        "What is something your partner shared with you lately that you were glad to hear?",
    ),
    LibraryPrompt(
        "gratitude-026",
        "gratitude",
        "When was your partner honest with you recently in a way you appreciated?",
    ),
    LibraryPrompt(
        "gratitude-027",
        "gratitude",
        "When did your partner encourage you lately? What did they say?",
    ),
    LibraryPrompt(
        "gratitude-028",
        "gratitude",
        "What is a moment with your partner from today that you would like to remember?",
    ),
    LibraryPrompt(
        "gratitude-029",
        "gratitude",
        "What is something your partner is working on lately that you respect?",
    ),
    LibraryPrompt(
        "gratitude-030",
        "gratitude",
        "When did your partner make room for what you needed this week?",
    ),
    LibraryPrompt(
        "gratitude-031",
        "gratitude",
        "What is one small routine you share with your partner that you were grateful for lately?",
    ),
    LibraryPrompt(
        "gratitude-032",
        "gratitude",
        "What is something your partner did recently that helped you feel safe with them?",
    ),
    LibraryPrompt(
        "gratitude-033",
        "gratitude",
        "What did you notice this week about the way your partner treats people?",
    ),
    LibraryPrompt(
        "gratitude-034",
        "gratitude",
        "When did your partner notice how you were feeling lately, maybe before you said anything?",
    ),
    LibraryPrompt(
        "gratitude-035",
        "gratitude",
        "What is one thing your partner said this week that made you feel appreciated?",
    ),
    LibraryPrompt(
        "gratitude-036",
        "gratitude",
        "What is a choice your partner made recently that you admire?",
    ),
    LibraryPrompt(
        "gratitude-037",
        "gratitude",
        "When did your partner go a little out of their way for you this week?",
    ),
    LibraryPrompt(
        "gratitude-038",
        "gratitude",
        "What is one thing your partner did today, however small, that you are glad about?",
    ),
    LibraryPrompt(
        "gratitude-039",
        "gratitude",
        "What is something your partner showed you or taught you lately that you enjoyed?",
    ),
    LibraryPrompt(
        "gratitude-040",
        "gratitude",
        "When did your partner stay steady in a tense moment recently? What did you notice?",
    ),
    LibraryPrompt(
        "gratitude-041",
        "gratitude",
        "When did your partner do exactly what they said they would this week? How did that feel?",
    ),
    LibraryPrompt(
        "check-in-001",
        "check_in",
        (
            "How connected did you feel to your partner today? What's one thing that would help "
            "you feel supported this week?"
        ),
    ),
    LibraryPrompt(
        "check-in-002",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you'd like, share one moment "
            "today that helped you feel close."
        ),
    ),
    LibraryPrompt(
        "check-in-003",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you want, name one thing "
            "you'd like a bit more of."
        ),
    ),
    LibraryPrompt(
        "check-in-004",
        "check_in",
        (
            "How connected do you feel to your partner today? If you'd like, share a recent moment"
            " when you felt really heard."
        ),
    ),
    LibraryPrompt(
        "check-in-005",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you made plans together, you"
            " can say how steady they felt to you."
        ),
    ),
    LibraryPrompt(
        "check-in-006",
        "check_in",
        (
            "How connected do you feel to your partner today? If you like, share how you'd enjoy "
            "reconnecting after a busy day."
        ),
    ),
    LibraryPrompt(
        "check-in-007",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you want, say whether you'd "
            "like a bit more closeness or a bit more space. Both are okay."
        ),
    ),
    LibraryPrompt(
        "check-in-008",
        "check_in",
        (
            "How connected did you feel to your partner today? If it felt a little distant, you "
            "can share what was going on for you. No need to explain."
        ),
    ),
    LibraryPrompt(
        "check-in-009",
        "check_in",
        (
            "How connected do you feel to your partner this week? If you'd like, share one small "
            "thing that might help you both feel closer."
        ),
    ),
    LibraryPrompt(
        "check-in-010",
        "check_in",
        (
            "How connected do you feel to your partner today? If you'd like, share one thing on "
            "your mind that they might want to know."
        ),
    ),
    LibraryPrompt(
        "check-in-011",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you want, describe the kind "
            "of message or check-in that helps you feel close."
        ),
    ),
    LibraryPrompt(
        "check-in-012",
        "check_in",
        (
            "How connected do you feel to your partner today? Any number is okay. If you like, "
            "share what would feel good tomorrow."
        ),
    ),
    LibraryPrompt(
        "check-in-013",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you'd like, share one thing "
            "you're looking forward to doing together."
        ),
    ),
    LibraryPrompt(
        "check-in-014",
        "check_in",
        (
            "How connected did you feel to your partner today? If something they did helped, you "
            "can name it here."
        ),
    ),
    LibraryPrompt(
        "check-in-015",
        "check_in",
        (
            "How connected do you feel to your partner this week? If you want, share one thing "
            "that would make the next few days feel steadier."
        ),
    ),
    LibraryPrompt(
        "check-in-016",
        "check_in",
        (
            "How connected did you feel to your partner today? If you'd like, share a few words "
            "about how your day went."
        ),
    ),
    LibraryPrompt(
        "check-in-017",
        "check_in",
        (
            "How connected do you feel to your partner at the moment? If you like, share a way "
            "they could support you that would suit you right now."
        ),
    ),
    LibraryPrompt(
        "check-in-018",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you'd like, say when you "
            "felt most at ease with them."
        ),
    ),
    LibraryPrompt(
        "check-in-019",
        "check_in",
        (
            "How connected do you feel to your partner today? If you want, share one thing you'd "
            "like to talk about soon, big or small."
        ),
    ),
    LibraryPrompt(
        "check-in-020",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you like, share something "
            "you enjoyed about the time you spent together."
        ),
    ),
    LibraryPrompt(
        "check-in-021",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you'd like, say what kind of "
            "reassurance helps you most when life is busy."
        ),
    ),
    LibraryPrompt(
        "check-in-022",
        "check_in",
        (
            "How connected did you feel to your partner today? If you like, share one moment when "
            "you felt understood."
        ),
    ),
    LibraryPrompt(
        "check-in-023",
        "check_in",
        (
            "How connected do you feel to your partner this week? If you'd like, name one thing "
            "you could do that might help them feel close too."
        ),
    ),
    LibraryPrompt(
        "check-in-024",
        "check_in",
        (
            "How connected do you feel to your partner today? If you want, share how much time "
            "together would feel right this week."
        ),
    ),
    LibraryPrompt(
        "check-in-025",
        "check_in",
        (
            "How connected did you feel to your partner today? Any number is fine. If you'd like, "
            "add one word for how you're feeling."
        ),
    ),
    LibraryPrompt(
        "check-in-026",
        "check_in",
        (
            "How connected do you feel to your partner this week? If you like, share something "
            "that has been stressful lately so they know where you are."
        ),
    ),
    LibraryPrompt(
        "check-in-027",
        "check_in",
        (
            "How connected did you feel to your partner today? If you'd like, say whether a quick "
            "check-in tomorrow would help, and when suits you."
        ),
    ),
    LibraryPrompt(
        "check-in-028",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you want, name one thing that"
            " reliably helps you feel close to them."
        ),
    ),
    LibraryPrompt(
        "check-in-029",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you'd like, share a moment "
            "when you felt like a team."
        ),
    ),
    LibraryPrompt(
        "check-in-030",
        "check_in",
        (
            "How connected do you feel to your partner today? If you like, share one thing that "
            "would make this week feel a little lighter for you."
        ),
    ),
    LibraryPrompt(
        "check-in-031",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you want, share a "
            "conversation you'd like to pick back up."
        ),
    ),
    LibraryPrompt(
        "check-in-032",
        "check_in",
        (
            "How connected do you feel to your partner today? If you'd like, say how you most like"
            " to hear from them when you're apart."
        ),
    ),
    LibraryPrompt(
        "check-in-033",
        "check_in",
        (
            "How connected did you feel to your partner this week? If you like, share something "
            "that surprised you in a good way."
        ),
    ),
    LibraryPrompt(
        "check-in-034",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you'd like, describe a small "
            "ritual you'd enjoy starting together."
        ),
    ),
    LibraryPrompt(
        "check-in-035",
        "check_in",
        (
            "How connected did you feel to your partner today? If you'd like, share one thing "
            "you'd want them to know about your week."
        ),
    ),
    LibraryPrompt(
        "check-in-036",
        "check_in",
        (
            "How connected do you feel to your partner this week? It's okay if the number is low. "
            "If you'd like, share one gentle step that might help."
        ),
    ),
    LibraryPrompt(
        "check-in-037",
        "check_in",
        (
            "How connected did you feel to your partner today? If you'd like, share a moment when "
            "you felt cared for."
        ),
    ),
    LibraryPrompt(
        "check-in-038",
        "check_in",
        (
            "How connected do you feel to your partner this week? If you like, name a plan coming "
            "up that you're looking forward to."
        ),
    ),
    LibraryPrompt(
        "check-in-039",
        "check_in",
        (
            "How connected did you feel to your partner today? If you want, say whether you'd like"
            " more talking, more time, or more quiet together this week."
        ),
    ),
    LibraryPrompt(
        "check-in-040",
        "check_in",
        (
            "How connected do you feel to your partner right now? If you'd like, share what helps "
            "you settle when you feel unsure."
        ),
    ),
)
