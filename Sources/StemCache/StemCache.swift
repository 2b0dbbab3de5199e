// StemCache: placeholder until the module lands.
enum _StemCachePlaceholder {}
