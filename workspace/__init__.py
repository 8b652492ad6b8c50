"""The assessment workspace: the top layer, where one assessment is brought together for the people who work on it."""
