from tests.clips.conftest import (  # noqa: F401  (fixtures shared with the clips tests)
    _fresh_site_root_cache,
    clients,
    dirs,
    published,
    world,
)
