import ConcurrencyWorker
import ProcessBenchJobs

// A worker program and nothing else: the seed's jobs and the rendezvous,
// ConcurrencyWorker (FoundationEssentials only), the Swift runtime linked
// statically. process-bench starts it for its "minimal" rows, to show how
// much of a pool's start is the worker program's own start-up.
ProcessWorker.run(jobs: benchmarkJobs)
