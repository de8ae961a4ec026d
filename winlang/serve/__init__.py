"""`winlang serve`: the web app (Starlette, extra ``serve``): the tracking endpoints
(:mod:`.tracking`) and the marketer's pages."""
