"""Signals of the investment app for the apps built on it (a lower app never imports a higher one).

``publication_changed`` is sent after the commit of every change of a project's public-catalogue state
(approved, withdrawn — 下架): ``sender=Project``, ``project_id``. The portal listens and updates its
catalogue snapshot at once instead of at its next periodic sync.
"""

from django.dispatch import Signal

publication_changed = Signal()
