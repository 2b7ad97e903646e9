/**
 * Where zookeepers are kept, and which animals each one cares for: the
 * shared resource and link repositories, in SQL or in memory.
 */
import { AnimalNotFound, careLink } from "../Animals/Animal.ts"
import { LinkService, RepositoryService } from "../Repo/RepositoryService.ts"
import {
  Zookeeper,
  ZookeeperAlreadyExists,
  ZookeeperCreate,
  ZookeeperEmailTaken,
  zookeeperFilters,
  ZookeeperNotFound,
  ZookeeperPatch
} from "./Zookeeper.ts"

export class ZookeepersRepository extends RepositoryService<ZookeepersRepository>()("zoo-api/Zookeepers/ZookeepersRepository", {
  name: "zookeepers",
  filters: zookeeperFilters,
  Resource: Zookeeper,
  Create: ZookeeperCreate,
  Patch: ZookeeperPatch,
  NotFound: ZookeeperNotFound,
  IdTaken: ZookeeperAlreadyExists,
  writeErrors: [ZookeeperEmailTaken],
  deleteErrors: []
}, {
  columns: ["name", "email"],
  dates: ["hired_on"],
  textSortColumns: ["name"],
  // The index is on lower(email); emails are ASCII (the schema's pattern), so SQL and JavaScript lower them alike.
  uniqueKeys: [{
    constraint: "zookeepers_email_key",
    key: (zookeeper) => zookeeper.email.toLowerCase(),
    onTaken: (zookeeper) => ZookeeperEmailTaken.of(zookeeper.email!)
  }]
}) {}

/**
 * Which animals each zookeeper cares for: `link(zookeeperId, animalId)`.
 * The animals in one's care are listed by the animals repository, with its
 * `zookeeper_id` filter.
 */
export class AnimalCare extends LinkService<AnimalCare>()("zoo-api/Zookeepers/AnimalCare", {
  link: careLink,
  owners: { table: "zookeepers", notFound: ZookeeperNotFound.of },
  members: { table: "animals", notFound: AnimalNotFound.of }
}) {}
