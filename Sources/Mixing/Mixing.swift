// Mixing: placeholder until the module lands.
enum _MixingPlaceholder {}
