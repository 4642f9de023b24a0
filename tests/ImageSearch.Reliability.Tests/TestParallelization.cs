// The fuzz tests count allocations process-wide (GC.GetTotalAllocatedBytes): crash and stress tests running beside
// them would be charged to their inputs, so the classes of this project run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
