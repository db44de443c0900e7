"""Subtle broken ServiceNowMirror: a ticket whose get-remote-data failed is not read again.

Defect (one line): the tickets whose last get-remote-data failed (a 503, a dropped connection)
are not remembered, so get-modified-remote-data does not list them again once the server moved
lastUpdate on, and the comments of that window never reach the war room (nor its field edits
the incident). Must trip rule mirror.entries-exactly-once (or mirror.fields-converge).
"""
import ServiceNowMirror


def set_sync_failed(sys_id, failed):
    return None


ServiceNowMirror._set_sync_failed = set_sync_failed

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
