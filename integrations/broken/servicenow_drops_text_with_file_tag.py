"""Subtle broken ServiceNowMirror: a text entry tagged only with the file tag is never pushed.

Defect (one line): text entries go out only with the comment or work-notes tag, so one the
analyst tagged with the file tag (a mirror tag like the others) is dropped. Must trip rule
mirror.entries-exactly-once.
"""
import functools

import ServiceNowMirror

_reference = getattr(ServiceNowMirror.push_entry, '__wrapped__', ServiceNowMirror.push_entry)


@functools.wraps(_reference)
def push_entry(client, sys_id, entry, settings):
    tags = entry.get('tags') or []
    if entry.get('file') or {settings.comment_tag, settings.work_notes_tag} & set(tags):
        _reference(client, sys_id, entry, settings)


ServiceNowMirror.push_entry = push_entry

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
