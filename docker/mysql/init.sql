-- Runs once when the MySQL container initializes: the Debezium user and the seeds' table.
CREATE USER IF NOT EXISTS 'debezium'@'%' IDENTIFIED BY 'dbz';
GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'debezium'@'%';
USE inventory;
CREATE TABLE IF NOT EXISTS member (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(100) NOT NULL,
  email VARCHAR(255) NOT NULL UNIQUE,
  created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
INSERT INTO member (name, email) VALUES ('홍길동', 'gildong@example.kr'), ('Sally', 'sally@example.com');
