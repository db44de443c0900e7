"""Subtle broken XSOARMirror: a local close never closes the remote incident.

Defect (one line): the settings take close_out as always off, so with close_out on the remote
incident stays open after the local one is closed. Must trip rule mirror.close-follows-settings.
"""
import XSOARMirror

_init = XSOARMirror.Settings.__init__


def __init__(self, params):
    _init(self, params)
    self.close_out = False


XSOARMirror.Settings.__init__ = __init__

if __name__ in ('__main__', '__builtin__', 'builtins'):
    XSOARMirror.main()
