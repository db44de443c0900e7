"""Broken OktaIAM: imports a vendor SDK that its environment cannot have.

Defect: the code needs `okta_harness_absent_sdk`, a package that does not exist on PyPI, so
neither the Docker image nor the harness's environment can provide it; every command fails at
import time. Must trip rule runtime.missing-module, saying which module, which package, and
that pip could not install it.
"""

import okta_harness_absent_sdk  # noqa: F401

import OktaIAM

if __name__ in ('__main__', '__builtin__', 'builtins'):
    OktaIAM.main()
