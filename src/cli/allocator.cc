// Allocator settings of the quiltcpp binary, read by jemalloc at start-up.
//
// A command that loads a large manifest allocates hundreds of megabytes of
// small strings. With 4 KiB pages most of its time went to first-touch page
// faults (on the VMs we measure on, each is costly); jemalloc backing its
// arenas with transparent huge pages makes the same load about twice as fast
// (bench/README.md). Only the CLI links jemalloc: the library leaves the
// allocator to its host program (the Python module uses Python's).

extern "C" {
// NOLINTNEXTLINE: the name and type are jemalloc's interface.
const char* malloc_conf = "thp:always,metadata_thp:always";
}
