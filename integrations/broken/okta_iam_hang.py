"""Broken OktaIAM: the user lookup never returns.

Defect: get_user blocks forever on an event nothing sets. Must trip rule runtime.timeout.
"""

import threading

import OktaIAM


class Client(OktaIAM.Client):
    def get_user(self, filter_name, filter_value):
        threading.Event().wait()


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
