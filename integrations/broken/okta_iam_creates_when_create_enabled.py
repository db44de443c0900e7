"""Subtle broken OktaIAM: iam-update-user creates a missing user whenever creating is enabled.

Defect (one line): the IAMCommand takes create_if_not_exists from create_user_enabled, so an
update of a user who does not exist creates them although create_if_not_exists is off. Must
trip rule iam.command-semantics.
"""
import OktaIAM
from IAMApiModule import IAMCommand

_init = IAMCommand.__init__


def __init__(self, *args, **kwargs):
    _init(self, *args, **kwargs)
    self.create_if_not_exists = self.is_create_enabled


IAMCommand.__init__ = __init__

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
