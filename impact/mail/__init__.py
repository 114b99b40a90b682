"""Email: reminders to silent teams, review decisions to teams, the review digest to staff (issue #18).

smtp.py (settings and the real delivery), compose.py (the messages, from the templates in
impact/formats/templates/mail/), outbox.py (what is sent to whom, recorded before it is sent, and the delivery that
sends each recorded message once), links.py (one-time sign-in links and opting out), web.py (their addresses).
"""
