"""Subtle broken OktaIAM: users are looked up by their login instead of the profile's email.

Defect (one line): get_user filters on profile.login, so a user whose email is new but whose
login belongs to another account is taken for that account: iam-create-user updates the other
user instead of creating the new one. Must trip rule iam.command-semantics.
"""
import OktaIAM

_get_user = OktaIAM.Client.get_user


def get_user(self, filter_name, filter_value):
    return _get_user(self, 'login' if filter_name == 'email' else filter_name, filter_value)


OktaIAM.Client.get_user = get_user

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
