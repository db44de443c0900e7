"""Broken XSOARMirror: fetch-incidents forgets which incidents it fetched at the last instant.

Defect: the fetch drops the remote ids kept in lastRun, so the incidents created at the
instant its bound includes (created >= the newest fetched) are fetched again as new incidents.
Must trip rule mirror.fetch-new-only.
"""
import functools

import XSOARMirror

_reference = getattr(XSOARMirror.fetch_incidents, '__wrapped__', XSOARMirror.fetch_incidents)


@functools.wraps(_reference)
def fetch_incidents(client, settings, last_run):
    return _reference(client, settings, dict(last_run, ids=[]))


XSOARMirror.fetch_incidents = fetch_incidents

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()
