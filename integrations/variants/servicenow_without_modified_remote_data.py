"""ServiceNowMirror without get-modified-remote-data.

Not a broken variant: the seed tells integrations that do not implement
get-modified-remote-data to raise NotImplementedError, so that the server falls back to
get-remote-data for every mirrored incident. This variant does exactly that and otherwise runs
the reference integration.
"""
import demistomock as demisto
import ServiceNowMirror


def main():
    if demisto.command() == 'get-modified-remote-data':
        raise NotImplementedError('get-modified-remote-data is not implemented')
    ServiceNowMirror.main()


if __name__ in ('__main__', '__builtin__', 'builtins'):
    main()
