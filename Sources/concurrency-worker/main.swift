import ConcurrencyWorker
import ConformanceGallery

// The reference worker program: serves the kit's jobs and the seed's to the
// process pools of the tests, the twins and the conformance matrix.
ProcessWorker.run(jobs: Gallery.workerJobs)
