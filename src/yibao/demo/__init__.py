"""The main job: a synthetic county year end to end, loaded into the store and served."""
