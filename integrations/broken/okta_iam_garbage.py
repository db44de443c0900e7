"""Broken OktaIAM: a leftover debug print() writes a non-protocol line to stdout.

Defect: get_user prints the lookup it is about to make; stdout is the protocol channel. Must trip
rule runtime.protocol.
"""

import OktaIAM


class Client(OktaIAM.Client):
    def get_user(self, filter_name, filter_value):
        print(f'looking up {filter_name}={filter_value}', flush=True)
        return super().get_user(filter_name, filter_value)


OktaIAM.Client = Client

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
