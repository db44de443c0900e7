"""Subtle broken ServiceNowMirror: fetch-incidents forgets which tickets it fetched last.

Defect (one line): the fetch drops the sys_ids kept in lastRun, so the tickets opened in the
second its query includes (opened_at >= the newest fetched) are fetched again as new incidents.
The hand-written scenarios fetch once; explore fetches again. Must trip rule
mirror.fetch-new-only.
"""
import functools

import ServiceNowMirror

_reference = getattr(ServiceNowMirror.fetch_incidents, '__wrapped__', ServiceNowMirror.fetch_incidents)


@functools.wraps(_reference)
def fetch_incidents(client, settings, last_run):
    return _reference(client, settings, dict(last_run, ids=[]))


ServiceNowMirror.fetch_incidents = fetch_incidents

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
