"""Broken OktaIAM: the process exits with status 0 before finishing the protocol.

Defect: after the command's results are written, os._exit(0) ends the process before the
runner can send `completed`. Must trip rule runtime.incomplete.
"""

import os

import OktaIAM

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
    os._exit(0)
