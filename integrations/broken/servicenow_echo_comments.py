"""Broken ServiceNowMirror: comments and work notes it wrote itself come back as new entries.

Defect: get-remote-data no longer recognises its own journal notes (the ones carrying
"Mirrored from Cortex XSOAR"), so every comment or work note mirrored out of XSOAR is mirrored
back in as a new entry. Must trip rule mirror.no-echo.
"""
import ServiceNowMirror


def is_own_note(journal_row):
    return False


ServiceNowMirror.is_own_note = is_own_note

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
