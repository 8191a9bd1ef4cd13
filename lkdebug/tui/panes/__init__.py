"""One module per tab. Panes call the core and render its results; they hold no diagnosis logic."""
