"""The admin: staff write the policy, publish it and declare cookies; published versions and
consent records can only be read.

One module per part of the admin; importing this package registers them all.
"""

from cookieconsent.admin import console, cookies, policy, records, regions, versions

__all__ = ["console", "cookies", "policy", "records", "regions", "versions"]
