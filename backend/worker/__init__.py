"""Background jobs: work a request causes but need not wait for (texts to farmers), and
scheduled work (nightly statistics, later the nightly check run), run by the worker."""
