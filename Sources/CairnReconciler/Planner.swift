// The reconciler: plan (pure) and apply over a StateStore.
