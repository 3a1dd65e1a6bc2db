/**
 * The reference arena game's client-side rules, the `@tickwire/client/arena` entry point: its constants (from
 * Welcome.params), the movement model for the SDK's prediction (`arenaPrediction`), and `LocalShots`, which draws the
 * player's own projectiles at once and hands them over to the server's. A game of your own needs none of this: give
 * `TickwireClient` your own `PredictionModel`, or none.
 *
 * @module
 */
export * from "./arena";
export { LocalShots, SLACK_INPUTS, HANDOVER_MS } from "./shots";
