"""Broken XSOARMirror: update-remote-system ignores the incident's mirroring direction.

Defect: every incident is taken as mirroring both ways, so an update-remote-system for an
incident that only mirrors in writes to the remote incident. Must trip rule mirror.direction.
"""
import XSOARMirror


def local_direction(incident, settings):
    return 'Both'


XSOARMirror.local_direction = local_direction

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()
