"""Subtle broken ServiceNowMirror: only the first tagged entry of a push reaches ServiceNow.

Defect (one line): update-remote-system sends the first of the entries the server hands over
and drops the rest, so two entries tagged between two pushes arrive as one. No hand-written
scenario tags two entries in one push; explore finds it. Must trip rule
mirror.entries-exactly-once.
"""
import functools

import ServiceNowMirror

_reference = getattr(ServiceNowMirror.UpdateRemoteSystemArgs.__init__, '__wrapped__',
                     ServiceNowMirror.UpdateRemoteSystemArgs.__init__)


@functools.wraps(_reference)
def first_entry_only(self, args):
    _reference(self, args)
    self.entries = (self.entries or [])[:1]


ServiceNowMirror.UpdateRemoteSystemArgs.__init__ = first_entry_only

if __name__ in ('__main__', '__builtin__', 'builtins'):
    ServiceNowMirror.main()
