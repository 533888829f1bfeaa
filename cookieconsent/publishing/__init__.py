"""The policy's life: a draft staff edit is rendered (``render``), published as an immutable
version with a snapshot per language (``publication``), served to visitors from that snapshot
(``serve``), and compared with earlier versions (``diff``).

``publish()`` is the one way to publish, for the admin, ``cookieconsent_publish`` and a site's
own code alike.
"""

from cookieconsent.publishing.publication import NotCurrentPolicy, NothingToPublish, publish

__all__ = ["NotCurrentPolicy", "NothingToPublish", "publish"]
