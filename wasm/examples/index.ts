// Runs the examples one after the other (each awaits `init()` itself).
export {};
await import("./quickstart.js");
await import("./reconcile.js");
await import("./certify.js");
await import("./world.js");
console.log("examples: done");
