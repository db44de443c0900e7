"""Subtle broken ServiceNowMirror: a ticket closed at ServiceNow closes its incident whatever
close_incident says.

Defect (one line): the settings take close_incident as always on, so an instance that keeps
its incidents open when the remote closes closes them anyway. The hand-written close scenarios
turn the setting on; explore varies it. Must trip rule mirror.close-follows-settings.
"""
import ServiceNowMirror

_init = ServiceNowMirror.Settings.__init__


def __init__(self, params):
    _init(self, params)
    self.close_incident = True


ServiceNowMirror.Settings.__init__ = __init__

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
