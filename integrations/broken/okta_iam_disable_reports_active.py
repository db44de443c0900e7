"""Broken OktaIAM: iam-disable-user reports the user active although Okta deactivated it.

Defect: every completed disable result is recorded with active=True. Must trip rule
iam.active-matches-vendor.
"""

import OktaIAM
from IAMApiModule import IAMActions, IAMUserProfile

_set_result = IAMUserProfile.set_result


def set_result(self, *args, **kwargs):
    if kwargs.get('action') == IAMActions.DISABLE_USER and not kwargs.get('skip'):
        kwargs['active'] = True
    return _set_result(self, *args, **kwargs)


IAMUserProfile.set_result = set_result

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
