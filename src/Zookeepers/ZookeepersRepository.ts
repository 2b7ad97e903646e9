/**
 * Where zookeepers are kept, and which animals each one cares for: the
 * shared resource and link repositories, in SQL or in memory.
 */
import { animalsContract } from "../Animals/Animal.ts"
import { LinkService, RepositoryService } from "../Repo/RepositoryService.ts"
import { careLink, ZookeeperEmailTaken, zookeepersContract } from "./Zookeeper.ts"

export class ZookeepersRepository extends RepositoryService<ZookeepersRepository>()("zoo-api/Zookeepers/ZookeepersRepository", zookeepersContract, {
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
  owners: { table: zookeepersContract.name, notFound: zookeepersContract.NotFound.of },
  members: { table: animalsContract.name, notFound: animalsContract.NotFound.of }
}) {}
