import ConcurrencyWorker
import SeedJobs

// The reference worker program: serves the seed's jobs and the kit's probes
// to the process pools of the tests, the twins and the conformance matrix.
ProcessWorker.run(jobs: seedJobs)
