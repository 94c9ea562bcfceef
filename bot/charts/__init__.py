"""Charts drawn with matplotlib (imported only when the first chart is drawn), one style."""
