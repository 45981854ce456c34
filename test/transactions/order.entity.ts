import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A business row of the host app, written in the same transaction as the event about it. */
@Entity({ name: 'test_orders' })
export class OrderEntity {
  @PrimaryColumn({ type: 'varchar', length: 64 })
  id: string;

  @Column({ type: 'integer' })
  amount: number;
}
