"""terraplan: sales territory planning and management.

The library is organised in layers (see ``ARCHITECTURE`` in the README):
``domain`` (plain dataclasses), ``engine`` (numerical core on arrays), ``rules``
(ownership rules), ``planning`` (use cases), ``io`` (file formats), ``storage``
(database), and the edges ``api`` and ``cli``; ``terraplan.frames`` runs the main job on
pandas or Polars DataFrames (notebooks). Importing the package builds nothing.
"""

__version__ = "0.1.0"
