"""Subtle broken ServiceNowMirror: a push retried after a failure sends its entries again.

Defect (one line): the record of the entries a failed push sent already is never read, so
when a push fails half way (a rate limit on its last request) the retry sends the earlier
entries a second time. Must trip rule mirror.entries-exactly-once.
"""
import ServiceNowMirror


def pushed_entries(sys_id):
    return set()


ServiceNowMirror._pushed_entries = pushed_entries

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
