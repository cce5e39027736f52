// The fixed-point ECS world: the same bytes on every engine.
import init, { World, type EcsCommand } from "omega-kernel";

await init();

const world = new World(7, 100); // seed, entities (topology nodes and edges per entity: the defaults)
const commands: EcsCommand[] = [{ tick: 2, op: "spawn", node: 0, target: "1.5" }];
const reports = world.step(3, commands);
console.log("world", world.tick, world.entities, reports.length, world.stateHash());

// A snapshot restores a world that continues exactly.
const copy = World.restore(world.snapshot());
world.step(5);
copy.step(5);
console.log("restored", copy.stateHash() === world.stateHash());
world.free();
copy.free();
