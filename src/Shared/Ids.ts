/**
 * The identifier of every collection. They sit below the domains because the
 * domains refer to each other by id (an animal names its habitat; a
 * zookeeper's care lists animals), and a domain folder imports no other one
 * that imports it back.
 */
import { Schema } from "effect"
import { ResourceId } from "./ResourceSchemas.ts"

export const AnimalId = ResourceId("Animal identifier (UUID)", "0b9d2c4e-7f1a-4e0b-9c1d-2a3b4c5d6e7f").pipe(Schema.brand("AnimalId"))
export type AnimalId = typeof AnimalId.Type

export const HabitatId = ResourceId("Habitat identifier (UUID)", "3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b").pipe(Schema.brand("HabitatId"))
export type HabitatId = typeof HabitatId.Type

export const ZookeeperId = ResourceId("Zookeeper identifier (UUID)", "7c9e6679-7425-40de-944b-e07fc1f90ae7").pipe(Schema.brand("ZookeeperId"))
export type ZookeeperId = typeof ZookeeperId.Type
