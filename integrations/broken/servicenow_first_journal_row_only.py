"""Subtle broken ServiceNowMirror: only the first new journal row of a sync reaches the war room.

Defect (one line): get-remote-data keeps the first comment or work note written since the last
sync and drops the others, so two notes written in ServiceNow between two job runs arrive as
one. No hand-written scenario has two remote notes between two syncs; explore finds it. Must
trip rule mirror.entries-exactly-once.
"""
import functools

import ServiceNowMirror

_reference = getattr(ServiceNowMirror.journal_entries, '__wrapped__', ServiceNowMirror.journal_entries)


@functools.wraps(_reference)
def journal_entries(client, sys_id, since, settings):
    return _reference(client, sys_id, since, settings)[:1]


ServiceNowMirror.journal_entries = journal_entries

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
