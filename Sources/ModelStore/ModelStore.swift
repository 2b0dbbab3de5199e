// ModelStore: placeholder until the module lands.
enum _ModelStorePlaceholder {}
