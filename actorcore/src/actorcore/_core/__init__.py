"""The implementation of actorcore: private.

Nothing here is a promise. Users import `actorcore.actors`; base authors
`actorcore.plugin`; tests `actorcore.testing`. Names may move or change
between any two releases.
"""
