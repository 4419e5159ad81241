"""The workshop: questions, the live poll of a room, and the Mission page's link.

- `quiz`: the question bank, its checks and scoring.
- `poll`: rooms, pace, attendees and answers in one SQLite file.
- `mission`: which mode, room, questions and option order a Mission URL asks for.

Trains nothing; imports only depthkit.core.
"""
