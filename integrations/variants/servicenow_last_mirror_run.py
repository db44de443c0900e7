"""ServiceNowMirror that keeps its own position between mirroring runs.

Not a broken variant: from server 6.6 an integration can store data between mirror runs with
set_last_mirror_run and read it back with get_last_mirror_run. This variant records, after
each get-modified-remote-data, how many runs it has seen and the lastUpdate it was given, and
otherwise runs the reference integration.
"""
import demistomock as demisto
from CommonServerPython import *  # noqa: F401,F403
import ServiceNowMirror


def main():
    if demisto.command() != 'get-modified-remote-data':
        ServiceNowMirror.main()
        return
    previous = get_last_mirror_run() or {}
    ServiceNowMirror.main()
    set_last_mirror_run({
        'runs': previous.get('runs', 0) + 1,
        'last_update': demisto.args().get('lastUpdate'),
    })


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
