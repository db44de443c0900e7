"""Subtle broken OktaIAM: whether allow-enable may enable a user follows the disable setting.

Defect (one line): the IAMCommand takes is_enable_enabled from disable_user_enabled, so an
instance that allows disabling but not enabling still enables users. The hand-written scenarios
set the two alike; explore varies them. Must trip rule iam.command-semantics.
"""
import OktaIAM
from IAMApiModule import IAMCommand

_init = IAMCommand.__init__


def __init__(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.is_enable_enabled = self.is_disable_enabled


IAMCommand.__init__ = __init__

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
